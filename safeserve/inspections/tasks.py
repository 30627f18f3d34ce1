"""No periodic jobs yet: publication deadlines are shown on the record page."""
