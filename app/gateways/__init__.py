"""app/gateways"""
