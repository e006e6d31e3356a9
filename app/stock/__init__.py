"""app/stock"""
