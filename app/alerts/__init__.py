"""app/alerts"""
