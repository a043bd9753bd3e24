"""Message channels: SMS (SMSFactor, Twilio) and email (SMTP), and the outbox that stores
instead of sending. One small protocol; implementations found through entry points."""
