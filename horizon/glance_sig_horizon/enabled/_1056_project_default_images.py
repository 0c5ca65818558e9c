# For clouds without Nova (as the local stack): the project dashboard opens on Images, not on
# Overview (which needs Nova). Optional: leave this file out where Nova runs.
DASHBOARD = "project"
DEFAULT_PANEL = "images"
