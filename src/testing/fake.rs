//! Scripted fakes of the transport seam. (runtime branch)
