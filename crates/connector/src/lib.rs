//! Twilio connector (under construction).
