"""app/devices"""
