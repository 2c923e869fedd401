"""Copies of sent messages APPENDed to the candidate's own Sent folder."""
