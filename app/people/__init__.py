"""People: accounts and their roles, volunteer teams, and the district's organisations
(the district Red Cross, its subdistrict branches and the teams under them).

The operations here are the only writers of accounts and teams; the web pages, the API
and the command line call them. Who may manage whom is ``authority.py``; what makes a
valid account or team is checked once, in the operation, and reported field by field.
"""
