//! The ureq transport to the ARN receiver. (http branch)
