//! A ureq-backed azure_core HttpClient, so the Azure SDK runs without tokio. (blob branch)
