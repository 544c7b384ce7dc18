"""The Calendar tab."""
