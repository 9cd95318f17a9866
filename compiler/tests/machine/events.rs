use crate::rig::*;
