"""The migration report ``openim-gen import`` prints: nothing it reads is dropped silently."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    """What an import could not carry over, and what changes name or shape on the way."""

    unrepresented: list[str] = field(default_factory=list)
    """``<where>: <what>: <why>``: a value openim.yaml cannot hold (or openim-gen decides)."""
    renamed: list[str] = field(default_factory=list)
    """Services, volumes and profiles that have another name in openim-gen's output."""
    ports: list[str] = field(default_factory=list)
    """Ports whose container side changes (the host side is kept)."""
    notes: list[str] = field(default_factory=list)
    """What else the operator should know (data kept, what to run next)."""

    def lost(self, where: str, what: str, why: str) -> None:
        line = f"{where}: {what}: {why}"
        if line not in self.unrepresented:
            self.unrepresented.append(line)

    def rename(self, line: str) -> None:
        if line not in self.renamed:
            self.renamed.append(line)

    def port(self, line: str) -> None:
        if line not in self.ports:
            self.ports.append(line)

    def note(self, line: str) -> None:
        if line not in self.notes:
            self.notes.append(line)

    def text(self) -> str:
        sections = (
            ("not represented (openim.yaml cannot hold these; nothing was dropped without a line here)", self.unrepresented),
            ("renamed (services, volumes, profiles)", self.renamed),
            ("ports whose container side changes (host ports kept)", self.ports),
            ("notes", self.notes),
        )
        out = []
        for title, lines in sections:
            out.append(f"{title}:" if lines else f"{title}: none")
            out += [f"  - {line}" for line in lines]
        return "\n".join(out) + "\n"
