from celery import shared_task


@shared_task(name="accounts.tasks.personal_data_reads_purge_task")
def personal_data_reads_purge_task() -> int:
    """The access log's retention (PERSONAL_DATA_READ_RETENTION_DAYS), daily by beat; also
    forgets the record of sessions that have ended."""
    from accounts.services import personal_data_reads_purge, signed_in_sessions_purge

    signed_in_sessions_purge()
    return personal_data_reads_purge()
