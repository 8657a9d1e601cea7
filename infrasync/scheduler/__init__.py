"""When monitors' digests are due, and the workers that make and deliver them."""
