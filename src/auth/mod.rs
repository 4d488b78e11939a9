//! Azure AD tokens without an async runtime. (http branch)
