"""The pages a French public body must publish: the accessibility statement (RGAA 4.1, article
47 of law 2005-102), the legal notice, the terms of use and the privacy notice (GDPR). Their
content is edited by the admin (Administration → Legal pages and accessibility); the demo and a
new hub start from templates written for a commune."""
