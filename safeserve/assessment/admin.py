"""Assessments are written only by their actions (assessment/actions.py): nothing is registered in the admin."""
