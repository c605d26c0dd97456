"""Estimate, budget, monthly accounting and final accounts; invoices, receipts and receivables;
exchange rates and the monthly accounting job. Built with the finance issues."""
