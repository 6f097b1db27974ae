"""The independent guarantor (*tiers garant*): a role the admin appoints, with read access to
every process's non-personal data, the moderation decisions and the audit log (without
names), who publishes opinions on any process (answered by the commune) and flags an overdue
answer or a hidden text for review. Everything the guarantor does is public."""
