"""Cover images: uploaded once, checked, resized on the server into responsive sizes and served
with a long cache; any object (a project, a workshop, an initiative, a budget proposal) points to
one with a ``cover_image_id`` column and shows it through ``cover_image(...)`` in templates."""
