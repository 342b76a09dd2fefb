"""The audit log for administrators: `auditLog(first, after, filter)`."""
