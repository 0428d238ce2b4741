from tests.conftest import login


def test_admin_signs_in_with_second_factor(client, admin):
    login(client, admin)
    assert client.get("/admin/users").status_code == 200
