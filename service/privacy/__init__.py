"""Privacy: erase a candidate's data, export it, and purge closed declines after a while."""
