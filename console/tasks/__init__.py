"""Water-cleaning tasks in the console: the tasks list with live coverage and the task editor."""
