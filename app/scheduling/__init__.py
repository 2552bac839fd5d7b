"""Business hours, availability, holds and appointments, with double booking ruled out by the database."""
