"""The core of the IRLF assistant: config, conversation, storage, reminders, broadcasts."""
