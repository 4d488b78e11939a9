//! Large payloads through Azure Blob Storage. (blob branch)
