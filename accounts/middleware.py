from accounts.services import personal_data_reads_record
from phdsupport.personal_data import noted_reads


class PersonalDataReadMiddleware:
    """Records the reads of personal data a view declared (phdsupport.personal_data.note_read).

    Only answers that deliver the data (status below 400) are recorded; a refusal showed nothing.
    The write happens before the response leaves, so a failing log fails the request too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        notes = noted_reads(request)
        if notes and response.status_code < 400:
            personal_data_reads_record(request=request, notes=notes)
        return response
