"""How e-mail leaves: the MIME message made of a letter, and the relay (or the files) it goes to.
What is written, to whom and when is the domain's (domain/letters/)."""
