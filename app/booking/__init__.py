"""Booking a quoted job: quote links, the public booking page /book/{token}, the assistant's booking skill."""
