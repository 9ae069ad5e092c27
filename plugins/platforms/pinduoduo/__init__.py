"""Pinduoduo (拼多多) sales platform plugin: signed gateway client, mapping, OAuth."""
