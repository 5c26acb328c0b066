"""End-to-end tests: the app served on a real port, driven by headless Chromium."""
