"""Express polls (*sondages express*), a core service: one question, single or multiple
choice, on any registered object or neighbourhood (or the whole commune), for verified
residents or every account; one vote per person, the ballot stored apart from who voted;
results shown after voting or at the close, and as open data."""
