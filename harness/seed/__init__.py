"""Seeded fixture data: faker-made customers and jobs, and sample photos and signatures."""
