"""``explain``'s answers as text (for a person) and as JSON (for a program); deterministic.
A credential appears only as its reference; a credential file's places only by name."""

from __future__ import annotations

import json
from typing import Any

from openim_config.explain import Explanation, Feeders, Layer
from openim_config.explain.spots import ABSENT, Spot


def _value(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _layer(layer: Layer) -> dict[str, str]:
    return {"kind": layer.kind, "where": layer.where}


def _spot(spot: Spot, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"location": str(spot), "target": spot.target, "file": spot.file, "path": spot.path, "credential": spot.secret}
    if value is not ABSENT:
        out["value"] = value
    return out


def explanation_json(e: Explanation) -> str:
    out: dict[str, Any] = {"key": e.key, "value": e.value, "credential": e.secret, "layer": _layer(e.layer)}
    if e.planned is not ABSENT:
        out["planned"] = e.planned
    if e.inside:
        out["setInside"] = [{"key": k, "layer": _layer(v)} for k, v in e.inside]
    if e.untraced:
        out["untraced"] = e.untraced
    else:
        out["probe"] = e.probe
        out["flows"] = [_spot(s, v) for s, v in e.flows]
    return json.dumps(out, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def explanation_text(e: Explanation) -> list[str]:
    lines = [f"key:     {e.key}" + ("  (a credential)" if e.secret else "")]
    if e.value is None and e.planned is not ABSENT:
        lines.append(f"value:   not set in the model; the plan uses {_value(e.planned)}")
    else:
        lines.append(f"value:   {_value(e.value)}")
    lines.append(f"set by:  {e.layer}")
    for key, layer in e.inside:
        lines.append(f"  {key}: {layer}")
    if e.untraced:
        lines.append(f"flows:   not measured: {e.untraced}")
        return lines
    how = "another credential" if e.secret else _value(e.probe)
    if not e.flows:
        lines.append(f"flows:   none: building with {how} changes no artifact of this model's targets")
        return lines
    lines.append(f"flows into {len(e.flows)} place(s) (each changes when the key is {how}):")
    for spot, value in e.flows:
        shown = " (credential file: value not shown)" if spot.secret else "" if value is ABSENT else f" = {_value(value)}"
        lines.append(f"  {spot}{shown}")
    return lines


def feeders_json(f: Feeders) -> str:
    out: dict[str, Any] = {
        "location": _spot(f.spot, f.value),
        "keys": [{"key": k, "value": v, "layer": _layer(layer)} for k, v, layer in f.keys],
    }
    return json.dumps(out, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def feeders_text(f: Feeders) -> list[str]:
    lines = [f"location: {f.spot}" + ("  (a credential file: value not shown)" if f.spot.secret else "")]
    if f.value is not ABSENT:
        lines.append(f"content:  {_value(f.value)}")
    if not f.keys:
        lines.append("fed by:   no model key (varying each one leaves it unchanged): fixed by openim-gen")
        return lines
    lines.append(f"fed by {len(f.keys)} model key(s) (each changes it when varied):")
    for key, value, layer in f.keys:
        lines.append(f"  {key} = {_value(value)}  ({layer})")
    return lines
