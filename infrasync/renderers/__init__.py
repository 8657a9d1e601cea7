"""One digest, rendered for each channel: Markdown, Slack, Discord, email, JSON."""
