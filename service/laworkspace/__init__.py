"""The LA education officer's workspace: queues, working an item, oversight and the LA's own configuration."""
