"""The worker process: runs GraphWorkflow and every node activity."""
