"""Offline delivery: one reproducible, verifiable archive with everything an air-gapped site
needs (generated artifacts, packaged chart, image list, scripts, README, manifest, checksums).

``assemble`` is a pure function of the plan and the options (plus the files of
``--images-dir``/``--binaries-dir``, streamed when written); ``write_bundle`` is the only
part that writes, atomically; ``verify_bundle`` reads an archive back, offline.
"""

from __future__ import annotations

from openim_config.bundle.package import FORMAT, SECRETS_FILE, Bundle, BundleOptions, assemble, default_name, model_digest, write_bundle
from openim_config.bundle.verify import Report, verify_bundle

__all__ = [
    "FORMAT",
    "SECRETS_FILE",
    "Bundle",
    "BundleOptions",
    "Report",
    "assemble",
    "default_name",
    "model_digest",
    "verify_bundle",
    "write_bundle",
]
