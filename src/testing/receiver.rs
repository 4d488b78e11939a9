//! A local HTTPS ARN receiver. (http branch)
