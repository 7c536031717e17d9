"""The two pages served by the app (plain HTML + JavaScript, no build step)."""
