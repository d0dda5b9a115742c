"""Custom actions for the rasa-sdk action server: one module per feature.
Actions hold no user-facing text: they pick domain responses and pass variables
(guide content translated through bot.i18n)."""
