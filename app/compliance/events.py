"""Events the compliance domain emits (consumed by conversations: release or drop held texts).

ComplianceStatusChanged, schema_version 1, payload:
    {"tenant_id": str, "registration_id": str, "brand_sid": str,
     "status": "approved" | "rejected" | "pending", "previous_status": str, "failure_reason": str | None}
"""

from __future__ import annotations

COMPLIANCE_STATUS_CHANGED = "ComplianceStatusChanged"
SCHEMA_VERSION = 1
