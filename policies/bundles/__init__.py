"""Reproducible, verifiable policy bundles for production (build, verify, import)."""

from .archive import Limits, read_archive, write_archive
from .bundle import PolicyRef, Verification, build_bundle, bundle_policy, open_bundle, verify_bundle

__all__ = ["Limits", "PolicyRef", "Verification", "build_bundle", "bundle_policy", "open_bundle", "read_archive",
           "verify_bundle", "write_archive"]
