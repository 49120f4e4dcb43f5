"""The API's routes, one module per resource; api/app.py includes every router listed here."""
