//! Twilio API simulator (under construction).
