"""Dialogs of the main window (settings, merge and split patients)."""
