"""app/aeds"""
