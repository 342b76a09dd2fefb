"""The names of the customers context's events: each has a JSON Schema (events/ at the
repository's root), so a use case names its event from here, never by a string of its own."""

from enum import StrEnum


class CustomerEvent(StrEnum):
    CREATED = "CustomerCreated"
    UPDATED = "CustomerUpdated"
    ARCHIVED = "CustomerArchived"
    RESTORED = "CustomerRestored"
    MERGED = "CustomerMerged"
    MERGED_INTO = "CustomerMergedInto"
    ERASED = "CustomerErased"
    CONTACT_POINT_ADDED = "ContactPointAdded"
    CONTACT_POINT_UPDATED = "ContactPointUpdated"
    CONTACT_POINT_REMOVED = "ContactPointRemoved"
    HOUSEHOLD_MEMBER_ADDED = "HouseholdMemberAdded"
    HOUSEHOLD_MEMBER_UPDATED = "HouseholdMemberUpdated"
    HOUSEHOLD_MEMBER_REMOVED = "HouseholdMemberRemoved"
    EXTERNAL_REFERENCE_ADDED = "ExternalReferenceAdded"
    EXTERNAL_REFERENCE_UPDATED = "ExternalReferenceUpdated"
    EXTERNAL_REFERENCE_REMOVED = "ExternalReferenceRemoved"
