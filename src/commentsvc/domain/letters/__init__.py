"""E-mail, as the service writes it: which event makes which letter to whom (accounts.py,
replies.py, alerts.py, appeals.py), every sentence in every language (texts.py), a letter's parts
(compose.py), and its sending, once (postman.py). How a letter leaves is mail/'s."""
