"""Cases: complaints, requests and enquiries with an owner, a due time and a follow-up."""
