"""app/mapping"""
